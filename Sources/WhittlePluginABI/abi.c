// The C ABI target: the header in include/ is the whole interface.
