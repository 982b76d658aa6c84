/// The built-in Sharing passes, registered by `BuiltinPasses.all()`.
public enum SharingPasses {
    public static func all() -> [Pass] { [KMeansSharePass(), TiePass()] }
}
