package io.outpost.config;

import java.util.Map;
import java.util.Objects;

/**
 * One validated, immutable configuration snapshot. Providers produce these and the server swaps
 * the whole snapshot at once, so no request ever sees half of a reload.
 *
 * <pre>{@code
 * ConfigResult result = new ConfigLoader().load(Path.of("outpost.yaml"));
 * OutpostConfig config = result.orElseThrow();
 * }</pre>
 */
public record OutpostConfig(
        Map<String, EntryPointConfig> entryPoints,
        AdminConfig admin,
        JournalConfig journal,
        AccessLogConfig accessLog,
        HttpConfig http,
        Map<String, TlsConfig.Resolver> certificatesResolvers) {

    public OutpostConfig {
        entryPoints = Copies.map(entryPoints);
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(journal, "journal");
        Objects.requireNonNull(accessLog, "accessLog");
        Objects.requireNonNull(http, "http");
        certificatesResolvers = Copies.map(certificatesResolvers);
    }

    /** A snapshot without certificate resolvers. */
    public OutpostConfig(Map<String, EntryPointConfig> entryPoints, AdminConfig admin, JournalConfig journal,
                         AccessLogConfig accessLog, HttpConfig http) {
        this(entryPoints, admin, journal, accessLog, http, Map.of());
    }
}
