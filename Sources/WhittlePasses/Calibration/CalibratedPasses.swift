/// The built-in calibrated (second-order) passes, registered by `BuiltinPasses.all()`.
public enum CalibratedPasses {
    public static func all() -> [Pass] { [GPTQPass(), SparseGPTPass(), AWQPass(), SmoothQuantPass()] }
}
