/// seedlora's version, written into exports' model cards and printed by `seedlora version`.
public enum SeedloraVersion {
    public static let string = "0.1.0"
}
