/// Every built-in pass, one list per technique (each file of a technique adds its own).
public enum BuiltinPasses {
    public static func all() -> [Pass] {
        PruningPasses.all() + QuantizationPasses.all() + DistillationPasses.all() + SharingPasses.all() + LowRankPasses.all() + CalibratedPasses.all() + [MixPass()]
    }
}
