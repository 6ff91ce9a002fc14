// swift-tools-version:6.0
// vittrain: train, fine-tune, evaluate and explain Vision Transformers on a CPU.
// Dependency direction (DESIGN.md): vittrain → Training, Interpret → Models → NN → Tensor → C shims;
// Data depends on Tensor and FileFormats only; FileFormats (HDF5, PNG, JPEG, safetensors) on C shims only.
import PackageDescription

// On x86-64 the kernels are compiled for Haswell level (AVX2 + FMA, every x86 CPU since 2015):
// the baseline (SSE2, no FMA) vectorises GELU, softmax and the norms four floats at a time.
// No `-wmo` here: release builds already optimise whole modules, and the flag breaks debug builds
// ("index output filenames do not match input source files").
#if arch(x86_64)
let optimised: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
#else
let optimised: [SwiftSetting] = []
#endif

let package = Package(
    name: "vittrain",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vittrain", targets: ["vittrain"]),
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "Models", targets: ["Models"]),
        .library(name: "FileFormats", targets: ["FileFormats"]),
        .library(name: "Data", targets: ["Data"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Interpret", targets: ["Interpret"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libturbojpeg",
                       providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        // Hand-written C kernels (bf16 GEMM); AVX-512 code is enabled per function, not per file.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        // Open MPI, loaded with dlopen only under mpirun: the build needs neither mpi.h nor libmpi.
        .target(name: "CMPIShim", linkerSettings: [.linkedLibrary("dl")]),

        .target(name: "Tensor", dependencies: ["CBLAS", "CKernels"], swiftSettings: optimised),
        .target(name: "NN", dependencies: ["Tensor"], swiftSettings: optimised),
        .target(name: "FileFormats", dependencies: ["CHDF5", "CPNG", "CJPEG"]),
        .target(name: "Models", dependencies: ["NN", "FileFormats"], swiftSettings: optimised),
        .target(name: "Data", dependencies: ["Tensor", "FileFormats", "CZlib"], swiftSettings: optimised),
        .target(name: "Training", dependencies: ["Models", "Data", "FileFormats", "CMPIShim"], swiftSettings: optimised),
        .target(name: "Interpret", dependencies: ["Models", "Data", "FileFormats"], swiftSettings: optimised),
        .executableTarget(name: "vittrain", dependencies: [
            "Training", "Interpret", "Models", "Data", "FileFormats", "CKernels",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
        .testTarget(name: "NNTests", dependencies: ["NN"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "FileFormats"]),
        .testTarget(name: "FileFormatsTests", dependencies: ["FileFormats"]),
        .testTarget(name: "DataTests", dependencies: ["Data", "FileFormats"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training"]),
        .testTarget(name: "InterpretTests", dependencies: ["Interpret"]),
        .testTarget(name: "CLITests", dependencies: ["FileFormats", "Training"]),
        .testTarget(name: "FuzzTests", dependencies: ["FileFormats", "Data", "Training", "Models"]),
    ],
    swiftLanguageModes: [.v5]
)
