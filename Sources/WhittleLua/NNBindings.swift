/// Filled in by its issue: namespaces and classes this file adds to `whittle`.
enum NNBindings {
    static let namespaces: [Namespace] = []
    static let classes: [LuaClass] = []
}
