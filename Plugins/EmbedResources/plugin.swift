import Foundation
import PackagePlugin

/// Compiles `migrations/*.sql` and `openapi.yaml` into the `KithResources` target as Swift string
/// literals, so the `kith` binary carries its schema and its contract with it.
@main
struct EmbedResources: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let root = context.package.directoryURL
        let migrations = root.appending(path: "migrations")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: migrations.path())) ?? []
        let sqlFiles = names.filter { $0.hasSuffix(".sql") }.sorted().map { migrations.appending(path: $0) }
        let spec = root.appending(path: "openapi.yaml")
        let output = context.pluginWorkDirectoryURL.appending(path: "GeneratedResources.swift")
        let tool = try context.tool(named: "EmbedResourcesTool")
        return [
            .buildCommand(
                displayName: "Embedding \(sqlFiles.count) migrations and openapi.yaml",
                executable: tool.url,
                arguments: [output.path(), spec.path()] + sqlFiles.map { $0.path() },
                inputFiles: [spec] + sqlFiles + [migrations],
                outputFiles: [output]
            ),
        ]
    }
}
