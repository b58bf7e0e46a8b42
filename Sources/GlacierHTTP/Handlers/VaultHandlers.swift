import GlacierDomain
import GlacierStorage
import HTTPTypes
import Hummingbird

/// CreateVault, DescribeVault, ListVaults, DeleteVault.
enum VaultHandlers {
    static func register(_ service: GlacierService, into table: inout [OperationName: OperationHandler]) {
        table[.createVault] = { input, context in
            // "The request body for this operation must be empty (0 bytes)" (Create Vault).
            guard try await input.jsonBody().isEmpty else {
                throw GlacierError.invalid("The request body of CreateVault must be empty (0 bytes)")
            }
            let vault = try await service.createVault(context.caller, name: input.path("vaultName"))
            return OperationOutput(headers: ["location": vault.location])
        }
        table[.describeVault] = { input, context in
            let d = try await service.describeVault(context.caller, name: input.path("vaultName"))
            return OperationOutput(json: json(d))
        }
        table[.listVaults] = { input, context in
            let page = try await service.listVaults(context.caller, marker: input.value("marker"), limit: input.value("limit"))
            return OperationOutput(json: .object([
                ("Marker", .optional(page.marker)),
                ("VaultList", .array(page.vaults.map(json))),
            ]))
        }
        table[.deleteVault] = { input, context in
            try await service.deleteVault(context.caller, name: input.path("vaultName"))
            return OperationOutput()
        }
    }

    /// DescribeVault's document (also each entry of ListVaults' VaultList).
    static func json(_ d: GlacierService.VaultDescription) -> JSONValue {
        .object([
            ("CreationDate", .string(Timestamp.iso8601(d.creationDate))),
            ("LastInventoryDate", .optional(d.lastInventoryDate.map(Timestamp.iso8601))),
            ("NumberOfArchives", .int(d.numberOfArchives)),
            ("SizeInBytes", .int(d.sizeInBytes)),
            ("VaultARN", .string(d.vault.arn)),
            ("VaultName", .string(d.vault.name)),
        ])
    }
}
