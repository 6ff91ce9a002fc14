// swift-tools-version:6.0
// A second package that depends on vittrain's Tensor and NN products by path: proof that the
// products build for other packages (no unsafeFlags in vittrain's Package.swift). Built in CI with
// `swift build --package-path Examples/TensorClient`.
import PackageDescription

let package = Package(
    name: "TensorClient",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "vittrain", path: "../.."),
    ],
    targets: [
        .executableTarget(name: "TensorClient", dependencies: [
            .product(name: "Tensor", package: "vittrain"),
            .product(name: "NN", package: "vittrain"),
        ]),
    ]
)
