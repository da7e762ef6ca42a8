import Foundation
import PackagePlugin

/// Generates ModelZoo's catalog from the `Architectures.json` of every family target that the
/// catalog depends on: adding a family is a new target, its manifest and one dependency line.
@main
struct CatalogGenerator: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        var manifests = [(module: String, url: URL)]()
        for dependency in target.recursiveTargetDependencies {
            let manifest = dependency.directoryURL.appendingPathComponent("Architectures.json")
            if FileManager.default.fileExists(atPath: manifest.path) {
                manifests.append((dependency.name, manifest))
            }
        }
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("Catalog.generated.swift")
        return [
            .buildCommand(
                displayName: "Generating the model catalog from \(manifests.count) families",
                executable: try context.tool(named: "ZooCatalogGenerator").url,
                arguments: [output.path] + manifests.map { "\($0.module)=\($0.url.path)" },
                inputFiles: manifests.map(\.url),
                outputFiles: [output])
        ]
    }
}
