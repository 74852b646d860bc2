// swift-tools-version:6.0
// seedlora: merge and analyse LoRA adapters trained with different seeds.
import PackageDescription

let package = Package(
    name: "seedlora",
    products: [
        .executable(name: "seedlora", targets: ["REPL"]),
        .library(name: "SeedloraOps", targets: ["Ops"]),
        .library(name: "SeedloraPlugins", targets: ["Plugins"]),
        .library(name: "SeedloraKernel", targets: ["Kernel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // mergekit-style YAML recipes.
        // Exact: the recipe reader uses the CYaml module, which is not a published product of Yams.
        .package(url: "https://github.com/jpsim/Yams", exact: "5.0.1"),
    ],
    targets: [
        // C bridges: module maps and static-inline shims only (see docs/native-libs in the guide).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CReadline", path: "Sources/CReadline", pkgConfig: "readline",
                       providers: [.apt(["libreadline-dev"])]),
        .systemLibrary(name: "CZMQ", path: "Sources/CZMQ", pkgConfig: "libzmq",
                       providers: [.apt(["libzmq3-dev"])]),
        // BLAKE2b content hashes (cell cache, provenance) and the kernel's HMAC-SHA256.
        .systemLibrary(name: "CSodium", path: "Sources/CSodium", pkgConfig: "libsodium",
                       providers: [.apt(["libsodium-dev"])]),
        // CRC-32 of zip entries and store seals.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),

        // Vectorised hot loops: the dense merge path and the factor Gram matrices (one clone per instruction set).
        .target(name: "CKernels", path: "Sources/CKernels"),

        // Value types and math: tensors, dtypes, safetensors, PEFT adapters, low-rank algebra.
        .target(name: "Ops", dependencies: ["CBLAS", "CHDF5", "CSodium", "CZlib", "CKernels"], path: "Sources/Ops"),
        // Merge strategies, their declared parameters, and the merge engine.
        .target(name: "Plugins", dependencies: ["Ops", "CKernels", .product(name: "Yams", package: "Yams")], path: "Sources/Plugins"),
        // The Seed language: syntax, runtime, builtins, sessions and cells.
        .target(name: "Kernel", dependencies: ["Plugins", "Ops"], path: "Sources/Kernel"),
        // The Jupyter kernel: messaging 5.3 over ZeroMQ, HMAC-SHA256 signing, request handlers.
        .target(name: "Notebook", dependencies: ["Kernel", "Ops", "CZMQ"], path: "Sources/Notebook"),
        // The `seedlora` executable: subcommands and the line editor.
        .executableTarget(name: "REPL",
                          dependencies: ["Kernel", "Notebook", "Plugins", "Ops", "CReadline",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Sources/REPL"),

        // Test helper: commits store cells in a loop until killed (the store's SIGKILL test).
        .executableTarget(name: "StoreStress", dependencies: ["Ops", "TestSupport"], path: "Sources/StoreStress"),

        .target(name: "TestSupport", dependencies: ["Ops"], path: "Tests/TestSupport"),
        .testTarget(name: "OpsTests", dependencies: ["Ops", "TestSupport"], path: "Tests/OpsTests"),
        .testTarget(name: "PluginsTests", dependencies: ["Plugins", "Ops", "TestSupport"],
                    path: "Tests/PluginsTests"),
        .testTarget(name: "CLITests", dependencies: ["REPL", "TestSupport", "Ops"], path: "Tests/CLITests"),
        .testTarget(name: "PlotTests", dependencies: ["Ops", "TestSupport"], path: "Tests/PlotTests"),
        .testTarget(name: "StoreTests", dependencies: ["Ops", "TestSupport", "StoreStress"], path: "Tests/StoreTests",
                    exclude: ["read_store.py"]),
        // The Seed language: golden scripts (Tests/Scripts/**/*.seed, docs/language.md) and parser errors.
        // The kernel's wire format and signing; scripts/jupyter-test (jupyter_kernel_test, nbconvert) on the built binary.
        .testTarget(name: "NotebookTests", dependencies: ["Notebook", "REPL", "Kernel", "Ops", "TestSupport"],
                    path: "Tests/NotebookTests"),
        .testTarget(name: "KernelTests", dependencies: ["Kernel", "Plugins", "Ops", "TestSupport"], path: "Tests/KernelTests"),
    ]
)
