// swift-tools-version:6.0
// vittrain: train, fine-tune, evaluate and explain Vision Transformers on a CPU.
// Dependency direction (DESIGN.md): vittrain → Training, Interpret → Models → NN → Tensor → C shims;
// Data depends on Tensor and FileFormats only; FileFormats (HDF5, PNG, JPEG, safetensors) on C shims only;
// Hub (Hugging Face Hub downloads, used by Training) on CCurl, Data (progress bar) and FileFormats.
import PackageDescription

// No unsafe flags, so other packages can depend on the products: the hot loops that need AVX2,
// FMA or AVX-512 are C kernels (Sources/CKernels) compiled per function for each instruction-set
// level and chosen at run time (VITTRAIN_CPU=baseline|avx2|avx512 lowers the level for testing).
// No `-wmo` either: release builds already optimise whole modules, and it breaks debug builds.

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
        .library(name: "Hub", targets: ["Hub"]),
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
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        // Hand-written C kernels (GEMMs, row kernels); AVX2/AVX-512 code is enabled per function.
        .target(name: "CKernels"),
        // Open MPI, loaded with dlopen only under mpirun: the build needs neither mpi.h nor libmpi.
        .target(name: "CMPIShim", linkerSettings: [.linkedLibrary("dl")]),

        .target(name: "Tensor", dependencies: ["CBLAS", "CKernels"]),
        .target(name: "NN", dependencies: ["Tensor"]),
        .target(name: "FileFormats", dependencies: ["CHDF5", "CPNG", "CJPEG"]),
        .target(name: "Models", dependencies: ["NN", "FileFormats"]),
        .target(name: "Data", dependencies: ["Tensor", "FileFormats", "CZlib"]),
        // The Hugging Face Hub client (hf: references → files in huggingface_hub's cache layout).
        .target(name: "Hub", dependencies: ["CCurl", "Data", "FileFormats"]),
        .target(name: "Training", dependencies: ["Models", "Data", "FileFormats", "CMPIShim", "Hub"]),
        .target(name: "Interpret", dependencies: ["Models", "Data", "FileFormats"]),
        .executableTarget(name: "vittrain", dependencies: [
            "Training", "Interpret", "Models", "Data", "FileFormats", "CKernels", "Hub",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Helpers several test targets share (not a product).
        .target(name: "SharedTestHelpers", path: "Tests/SharedTestHelpers"),
        .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
        .testTarget(name: "NNTests", dependencies: ["NN"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "FileFormats"]),
        .testTarget(name: "FileFormatsTests", dependencies: ["FileFormats", "SharedTestHelpers"]),
        .testTarget(name: "DataTests", dependencies: ["Data", "FileFormats"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training"]),
        .testTarget(name: "HubTests", dependencies: ["Hub"]),
        .testTarget(name: "InterpretTests", dependencies: ["Interpret", "SharedTestHelpers"]),
        .testTarget(name: "CLITests", dependencies: ["FileFormats", "Training", "Hub", "SharedTestHelpers"]),
        .testTarget(name: "FuzzTests", dependencies: ["FileFormats", "Data", "Training", "Models"]),
    ],
    swiftLanguageModes: [.v5]
)
