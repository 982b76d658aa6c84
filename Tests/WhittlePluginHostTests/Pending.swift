import XCTest
// Pending: the helper owning this target deletes this file.
