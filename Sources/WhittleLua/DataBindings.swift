/// Filled in by its issue: namespaces and classes this file adds to `whittle`.
enum DataBindings {
    static let namespaces: [Namespace] = []
    static let classes: [LuaClass] = []
}
