/// Files compiled into the binary at build time (see Plugins/EmbedResources).
public enum EmbeddedResources {
    /// The OpenAPI 3.1 contract, served at `GET /openapi.yaml`.
    public static var openAPI: String { openAPIYAML }

    /// `migrations/NNNN_name.sql`, in file-name order.
    public static var migrations: [(name: String, sql: String)] { migrationFiles }
}
