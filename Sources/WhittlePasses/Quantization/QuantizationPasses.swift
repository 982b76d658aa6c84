/// The built-in Quantization passes, registered by `BuiltinPasses.all()`.
public enum QuantizationPasses {
    public static func all() -> [Pass] { [QuantizeWeightsPass(), PTQPass(), QATPass()] }
}
