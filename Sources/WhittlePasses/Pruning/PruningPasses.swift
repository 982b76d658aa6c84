/// The built-in Pruning passes, registered by `BuiltinPasses.all()`.
public enum PruningPasses {
    public static func all() -> [Pass] {
        [MagnitudePrunePass(), StructuredPrunePass(), NMPrunePass(), GradualPrunePass(), CSRPass(), WandaPass()]
    }
}
