/// The built-in LowRank passes, registered by `BuiltinPasses.all()`.
public enum LowRankPasses {
    public static func all() -> [Pass] { [LowRankSVDPass()] }
}
