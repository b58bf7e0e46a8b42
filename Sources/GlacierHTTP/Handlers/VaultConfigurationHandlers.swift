import GlacierDomain
import Hummingbird

/// Tags, access policy, vault lock, notifications, data retrieval policy, provisioned capacity.
enum VaultConfigurationHandlers {
    static func register(_ service: GlacierService, into table: inout [OperationName: OperationHandler]) {
        table[.addTagsToVault] = { input, context in
            try await service.addTags(context.caller, vaultName: input.path("vaultName"), body: try await input.jsonBody())
            return OperationOutput()
        }
        table[.removeTagsFromVault] = { input, context in
            try await service.removeTags(context.caller, vaultName: input.path("vaultName"), body: try await input.jsonBody())
            return OperationOutput()
        }
        table[.listTagsForVault] = { input, context in
            let tags = try await service.listTags(context.caller, vaultName: input.path("vaultName"))
            return OperationOutput(json: .object([("Tags", .object(tags.map { ($0.0, .string($0.1)) }))]))
        }
        table[.setVaultAccessPolicy] = { input, context in
            try await service.setAccessPolicy(context.caller, vaultName: input.path("vaultName"), body: try await input.jsonBody())
            return OperationOutput()
        }
        table[.getVaultAccessPolicy] = { input, context in
            let policy = try await service.getAccessPolicy(context.caller, vaultName: input.path("vaultName"))
            return OperationOutput(json: .object([("Policy", .string(policy))]))
        }
        table[.deleteVaultAccessPolicy] = { input, context in
            try await service.deleteAccessPolicy(context.caller, vaultName: input.path("vaultName"))
            return OperationOutput()
        }
        table[.initiateVaultLock] = { input, context in
            let lockID = try await service.initiateVaultLock(context.caller, vaultName: input.path("vaultName"), body: try await input.jsonBody())
            return OperationOutput(headers: ["lockId": lockID])
        }
        table[.completeVaultLock] = { input, context in
            try await service.completeVaultLock(context.caller, vaultName: input.path("vaultName"), lockID: input.path("lockId"))
            return OperationOutput()
        }
        table[.abortVaultLock] = { input, context in
            try await service.abortVaultLock(context.caller, vaultName: input.path("vaultName"))
            return OperationOutput()
        }
        table[.getVaultLock] = { input, context in
            OperationOutput(json: try await service.getVaultLock(context.caller, vaultName: input.path("vaultName")))
        }
        table[.setVaultNotifications] = { input, context in
            try await service.setNotifications(context.caller, vaultName: input.path("vaultName"), body: try await input.jsonBody())
            return OperationOutput()
        }
        table[.getVaultNotifications] = { input, context in
            OperationOutput(rawJSON: try await service.getNotifications(context.caller, vaultName: input.path("vaultName")))
        }
        table[.deleteVaultNotifications] = { input, context in
            try await service.deleteNotifications(context.caller, vaultName: input.path("vaultName"))
            return OperationOutput()
        }
        table[.getDataRetrievalPolicy] = { _, context in
            OperationOutput(json: .object([("Policy", try await service.getDataRetrievalPolicy(context.caller))]))
        }
        table[.setDataRetrievalPolicy] = { input, context in
            try await service.setDataRetrievalPolicy(context.caller, body: try await input.jsonBody())
            return OperationOutput()
        }
        table[.purchaseProvisionedCapacity] = { _, context in
            OperationOutput(headers: ["capacityId": try await service.purchaseProvisionedCapacity(context.caller)])
        }
        table[.listProvisionedCapacity] = { _, context in
            OperationOutput(json: try await service.listProvisionedCapacity(context.caller))
        }
    }
}
