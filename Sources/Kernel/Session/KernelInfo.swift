import Ops

/// What the Seed language kernel says about itself (the REPL banner, `seedlora version`, and the
/// Jupyter kernelspec).
public enum KernelInfo {
    public static let languageName = "seed"
    public static let fileExtension = ".seed"
    public static var banner: String { "seedlora \(SeedloraVersion.string), Seed language" }
}
