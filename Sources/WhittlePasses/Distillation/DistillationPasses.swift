/// The built-in Distillation passes, registered by `BuiltinPasses.all()`.
public enum DistillationPasses {
    public static func all() -> [Pass] { [DistillPass()] }
}
