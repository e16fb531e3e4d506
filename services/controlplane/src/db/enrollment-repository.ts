import { sql, type DatabasePool } from "slonik";
import { z } from "zod";
import type { EnrollmentStore, RegisteredHost, StoredHostCa } from "../hosts/enrollment/enrollment-store.js";

const caRow = z
  .object({ certificate_pem: z.string(), private_key: z.string(), key_encryption: z.enum(["none", "aes-256-gcm"]) })
  .transform((row): StoredHostCa => ({ certificatePem: row.certificate_pem, privateKey: row.private_key, keyEncryption: row.key_encryption }));

const registeredRow = z
  .object({
    id: z.string().uuid(),
    address: z.string(),
    server_name: z.string(),
    port_proxy_address: z.string(),
    certificate_expires_at: z.number().nullable(),
    status: z.string(),
  })
  .transform(
    (row): RegisteredHost => ({
      id: row.id,
      address: row.address,
      serverName: row.server_name,
      portProxyAddress: row.port_proxy_address,
      certificateExpiresAt: row.certificate_expires_at === null ? null : new Date(row.certificate_expires_at),
      revoked: row.status === "revoked",
    }),
  );

const ts = (date: Date) => sql.timestamp(date);

/** Host CA, registration tokens and registered hosts, in PostgreSQL. */
export function createEnrollmentRepository(pool: DatabasePool): EnrollmentStore {
  return {
    async hostCa(create) {
      const existing = await pool.maybeOne(sql.type(caRow)`SELECT certificate_pem, private_key, key_encryption FROM host_ca WHERE id = 1`);
      if (existing) return existing;
      const made = await create();
      await pool.query(sql.unsafe`
        INSERT INTO host_ca (id, certificate_pem, private_key, key_encryption)
        VALUES (1, ${made.certificatePem}, ${made.privateKey}, ${made.keyEncryption})
        ON CONFLICT (id) DO NOTHING`);
      // Another copy may have inserted first: everyone uses the row that is there.
      return pool.one(sql.type(caRow)`SELECT certificate_pem, private_key, key_encryption FROM host_ca WHERE id = 1`);
    },

    async createToken(token) {
      await pool.query(sql.unsafe`
        INSERT INTO host_tokens (id, token_hash, created_by, expires_at)
        VALUES (${token.id}::uuid, ${token.tokenHash}, ${token.createdBy}::uuid, ${ts(token.expiresAt)})`);
    },

    async consumeToken(tokenHash, hostId) {
      const used = await pool.maybeOne(sql.type(z.object({ id: z.string() }))`
        UPDATE host_tokens SET used_at = now(), used_by = ${hostId}::uuid
        WHERE token_hash = ${tokenHash} AND used_at IS NULL AND expires_at > now()
        RETURNING id`);
      return used !== null;
    },

    async saveRegistration(host) {
      await pool.query(sql.unsafe`
        INSERT INTO hosts (id, agent_host_id, address, status, registered_at, server_name, certificate_fingerprint,
                           certificate_expires_at, port_proxy_address)
        VALUES (${host.id}::uuid, ${host.agentHostId}, ${host.address}, 'unreachable', now(), ${host.serverName},
                ${host.certificateFingerprint}, ${ts(host.certificateExpiresAt)}, ${host.portProxyAddress})
        ON CONFLICT (id) DO UPDATE SET
          agent_host_id = EXCLUDED.agent_host_id,
          address = EXCLUDED.address,
          status = CASE WHEN hosts.status = 'revoked' THEN 'unreachable' ELSE hosts.status END,
          registered_at = now(),
          revoked_at = NULL,
          server_name = EXCLUDED.server_name,
          certificate_fingerprint = EXCLUDED.certificate_fingerprint,
          certificate_expires_at = EXCLUDED.certificate_expires_at,
          port_proxy_address = EXCLUDED.port_proxy_address,
          updated_at = now()`);
    },

    async saveCertificate(hostId, fingerprint, expiresAt) {
      await pool.query(sql.unsafe`
        UPDATE hosts SET certificate_fingerprint = ${fingerprint}, certificate_expires_at = ${ts(expiresAt)}, updated_at = now()
        WHERE id = ${hostId}::uuid`);
    },

    async listRegistered() {
      const rows = await pool.any(sql.type(registeredRow)`
        SELECT id, address, server_name, port_proxy_address, certificate_expires_at, status
        FROM hosts WHERE registered_at IS NOT NULL ORDER BY id`);
      return [...rows];
    },

    async revoke(hostId) {
      const row = await pool.maybeOne(sql.type(z.object({ registered: z.boolean() }))`
        SELECT registered_at IS NOT NULL AS registered FROM hosts WHERE id = ${hostId}::uuid`);
      if (!row) return "not_found";
      if (!row.registered) return "not_registered";
      await pool.query(sql.unsafe`
        UPDATE hosts SET status = 'revoked', revoked_at = coalesce(revoked_at, now()), updated_at = now()
        WHERE id = ${hostId}::uuid`);
      return "revoked";
    },
  };
}
