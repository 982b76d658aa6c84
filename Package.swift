// swift-tools-version:6.0
import PackageDescription

// No target uses -march=native: a binary built on an AVX-512 machine must run on any x86-64 CPU.
// The vector kernels live in CKernels' per-ISA C files (isa_avx2.c, isa_avx512.c, each compiled for
// its ISA through a target pragma) and are chosen at run time (KernelISA); everything else,
// Swift included, is compiled for the baseline target. (`hostISA` is kept, empty, for the targets
// that list it.)
let hostISA: [SwiftSetting] = []
// Only the pointer-level kernels drop runtime checks; every layer above keeps them. Their Swift SIMD code
// (packing, quantizers, im2col) may assume x86-64-v2 (SSE4.2: pmaxsd, pmovsxbd, roundps), still no AVX.
#if arch(x86_64)
let kernelBaseline: [String] = ["-Xcc", "-march=x86-64-v2"]
#else
let kernelBaseline: [String] = []
#endif
let fast: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"] + kernelBaseline, .when(configuration: .release))]

let package = Package(
    name: "Whittle",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "whittle", targets: ["whittle"]),
        // Example native plugin (ternary quantization), loaded at run time with --plugin.
        .library(name: "WhittleTernary", type: .dynamic, targets: ["WhittleTernary"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    ],
    targets: [
        // C layer: Lua 5.4 and libedit from Debian, plus the shim that owns every longjmp.
        .systemLibrary(name: "CLua", pkgConfig: "lua5.4", providers: [.apt(["liblua5.4-dev"])]),
        .systemLibrary(name: "CEditLine", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CLuaShim", dependencies: ["CLua"]),
        // The ISA-specific kernels (scalar reference, AVX2, AVX-512) behind one run-time dispatcher.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),

        // Numeric core, bottom up: pointer-level kernels, then the tensor type.
        .target(name: "WhittleKernels", dependencies: ["CKernels"], swiftSettings: fast),
        .target(name: "WhittleTensor", dependencies: ["WhittleKernels"], swiftSettings: hostISA),
        // Files (safetensors, IDX, GGUF), datasets, then layers/autograd/training.
        .target(name: "WhittleFormats", dependencies: ["WhittleTensor", "CZlib"], swiftSettings: hostISA),
        .target(name: "WhittleData", dependencies: ["WhittleTensor", "WhittleFormats"], swiftSettings: hostISA),
        // Tokenizers (byte-level BPE, SentencePiece BPE, WordPiece) from tokenizer.json or GGUF metadata.
        .target(name: "WhittleText", dependencies: ["WhittleFormats"], swiftSettings: hostISA),
        .target(name: "WhittleNN", dependencies: ["WhittleTensor", "WhittleKernels", "WhittleFormats", "WhittleData", "WhittleText"], swiftSettings: hostISA),

        // Compression passes: protocol, registry, option schemas, built-in passes.
        .target(name: "WhittlePasses", dependencies: ["WhittleTensor", "WhittleKernels", "WhittleFormats", "WhittleData", "WhittleNN"], swiftSettings: hostISA),
        // The C ABI native plugins build against, and the host that loads them.
        .target(name: "WhittlePluginABI"),
        // Example native plugin: talks to the host only through the C ABI struct.
        .target(name: "WhittleTernary", dependencies: ["WhittlePluginABI"], path: "Plugins/TernarySwift"),
        .target(name: "WhittlePluginHost", dependencies: ["WhittlePluginABI", "WhittlePasses", "WhittleNN"], swiftSettings: hostISA),

        // Lua host and bindings, then the CLI library and a thin executable.
        .target(name: "WhittleLua", dependencies: [
            "CLua", "CLuaShim", "WhittleTensor", "WhittleKernels", "WhittleFormats", "WhittleData", "WhittleNN",
            "WhittlePasses", "WhittlePluginHost",
        ], swiftSettings: hostISA),
        .target(name: "WhittleCLI", dependencies: [
            "WhittleLua", "WhittleNN", "CEditLine",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: hostISA),
        .executableTarget(name: "whittle", dependencies: ["WhittleCLI"], swiftSettings: hostISA),

        .testTarget(name: "WhittleKernelsTests", dependencies: ["WhittleKernels"], exclude: ["Fixtures"], swiftSettings: hostISA),
        .testTarget(name: "WhittleTensorTests", dependencies: ["WhittleTensor"], swiftSettings: hostISA),
        .testTarget(name: "WhittleFormatsTests", dependencies: ["WhittleFormats", "WhittleData", "CZlib"],
                    exclude: ["Fixtures"], swiftSettings: hostISA),
        .testTarget(name: "WhittleTextTests", dependencies: ["WhittleText", "WhittleFormats"],
                    exclude: ["Fixtures"], swiftSettings: hostISA),
        .testTarget(name: "WhittleNNTests", dependencies: ["WhittleNN", "WhittleData", "WhittleFormats"], exclude: ["Fixtures"], swiftSettings: hostISA),
        .testTarget(name: "WhittlePassesTests", dependencies: ["WhittlePasses", "WhittleNN", "WhittleData", "WhittleFormats", "CZlib"],
                    exclude: ["Fixtures"], swiftSettings: hostISA),
        .testTarget(name: "WhittlePluginHostTests", dependencies: ["WhittlePluginHost", "WhittlePasses", "WhittleNN"], swiftSettings: hostISA),
        .testTarget(name: "WhittleLuaTests", dependencies: ["WhittleLua", "CLua"], swiftSettings: hostISA),
        .testTarget(name: "WhittleCLITests", dependencies: ["whittle"], swiftSettings: hostISA),
    ],
    swiftLanguageModes: [.v5]
)
