// swift-tools-version:6.0
// libFuzzer targets for seedlora's readers of untrusted input (see Fuzz/README.md).
// Built only by scripts/fuzz (release, `-sanitize=fuzzer,address` given to swiftc and clang
// directly, see there): each target defines LLVMFuzzerTestOneInput and takes its main from libFuzzer.
import PackageDescription

let package = Package(
    name: "seedlora-fuzz",
    dependencies: [.package(name: "seedlora", path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "SeedloraOps", package: "seedlora")], path: "Sources/FuzzSupport"),
        .executableTarget(name: "FuzzSafetensors", dependencies: ["FuzzSupport", .product(name: "SeedloraOps", package: "seedlora")],
                          path: "Sources/FuzzSafetensors"),
        .executableTarget(name: "FuzzAdapterConfig", dependencies: ["FuzzSupport", .product(name: "SeedloraOps", package: "seedlora")],
                          path: "Sources/FuzzAdapterConfig"),
        .executableTarget(name: "FuzzTorch", dependencies: ["FuzzSupport", .product(name: "SeedloraOps", package: "seedlora")],
                          path: "Sources/FuzzTorch"),
        .executableTarget(name: "FuzzStore", dependencies: ["FuzzSupport", .product(name: "SeedloraOps", package: "seedlora")],
                          path: "Sources/FuzzStore"),
        .executableTarget(name: "FuzzRecipe", dependencies: ["FuzzSupport", .product(name: "SeedloraOps", package: "seedlora"),
                                                             .product(name: "SeedloraPlugins", package: "seedlora")],
                          path: "Sources/FuzzRecipe"),
        .executableTarget(name: "FuzzSeedParser", dependencies: [.product(name: "SeedloraKernel", package: "seedlora")],
                          path: "Sources/FuzzSeedParser"),
        .executableTarget(name: "FuzzSeedInterpreter", dependencies: [.product(name: "SeedloraKernel", package: "seedlora")],
                          path: "Sources/FuzzSeedInterpreter"),
    ]
)
