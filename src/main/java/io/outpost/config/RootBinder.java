package io.outpost.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Binds the top level (entry points, admin, journal, access log) and hands {@code http} to its binders. */
final class RootBinder {

    private RootBinder() {}

    static OutpostConfig bind(Node root) {
        root.mapping("entryPoints", "admin", "journal", "accessLog", "http", "certificatesResolvers");
        Map<String, EntryPointConfig> entryPoints = entryPoints(root);
        AdminConfig admin = admin(root.section("admin"));
        JournalConfig journal = journal(root.section("journal"));
        AccessLogConfig accessLog = accessLog(root.section("accessLog"));
        HttpConfig http = http(root.section("http"));
        return new OutpostConfig(entryPoints, admin, journal, accessLog, http,
                TlsBinder.resolvers(root.at("certificatesResolvers")));
    }

    private static Map<String, EntryPointConfig> entryPoints(Node root) {
        Map<String, EntryPointConfig> out = new LinkedHashMap<>();
        if (!root.has("entryPoints")) {
            root.at("entryPoints").error("is required (expected at least one entry point, for example web: { address: \"127.0.0.1:8080\" })");
            return out;
        }
        Map<String, Node> entries = root.at("entryPoints").entries();
        if (entries.isEmpty() && root.at("entryPoints").isObject()) {
            root.at("entryPoints").error("expected at least one entry point");
        }
        entries.forEach((name, node) -> {
            if (node.mapping("address", "readTimeout", "idleTimeout", "graceTimeout", "tls", "forwardedHeaders")) {
                HostPort address = node.has("address")
                        ? node.parsed("address", HostPort::parse).orElse(new HostPort("", 0))
                        : missing(node, "address", new HostPort("", 0));
                out.put(name, new EntryPointConfig(address,
                        node.duration("readTimeout", EntryPointConfig.DEFAULT_READ_TIMEOUT),
                        node.duration("idleTimeout", EntryPointConfig.DEFAULT_IDLE_TIMEOUT),
                        node.duration("graceTimeout", EntryPointConfig.DEFAULT_GRACE_TIMEOUT),
                        TlsBinder.entryPoint(node.section("tls")),
                        forwardedHeaders(node.section("forwardedHeaders"))));
            }
        });
        return out;
    }

    private static EntryPointConfig.ForwardedHeaders forwardedHeaders(Node node) {
        if (!node.present() || !node.mapping("trustedIPs", "insecure")) {
            return EntryPointConfig.ForwardedHeaders.NONE;
        }
        List<Cidr> ranges = new java.util.ArrayList<>();
        node.list("trustedIPs").forEach(item -> item.parse(Cidr::parse).ifPresent(ranges::add));
        boolean insecure = node.bool("insecure", false);
        if (insecure && !ranges.isEmpty()) {
            node.at("trustedIPs").warn("is ignored: insecure: true trusts every client");
        }
        return new EntryPointConfig.ForwardedHeaders(ranges, insecure);
    }

    private static AdminConfig admin(Node node) {
        if (!node.present() || !node.mapping("address", "auth")) {
            return AdminConfig.DEFAULT;
        }
        HostPort address = node.parsed("address", HostPort::parse).orElse(AdminConfig.DEFAULT_ADDRESS);
        Optional<AdminConfig.Auth> auth = Optional.empty();
        Node authNode = node.section("auth");
        if (authNode.present() && authNode.mapping("token")) {
            auth = Optional.of(new AdminConfig.Auth(authNode.requiredString("token")));
        }
        AdminConfig admin = new AdminConfig(address, auth);
        TlsBinder.adminAuth(node, admin);
        return admin;
    }

    private static JournalConfig journal(Node node) {
        if (!node.present() || !node.mapping("dir")) {
            return JournalConfig.DEFAULT;
        }
        return node.parsed("dir", TlsBinder::path).map(JournalConfig::new).orElse(JournalConfig.DEFAULT);
    }

    private static AccessLogConfig accessLog(Node node) {
        if (!node.present()) {
            // No section, no access log, as in Traefik; a bare "accessLog:" is a section, with its defaults.
            return AccessLogConfig.OFF;
        }
        if (!node.mapping("enabled", "format", "path")) {
            return AccessLogConfig.DEFAULT;
        }
        boolean enabled = node.bool("enabled", true);
        String format = node.choice("format", "json", "json", "common");
        String path = node.parsed("path", RootBinder::accessLogPath).orElse(AccessLogConfig.STDOUT);
        return new AccessLogConfig(enabled,
                format.equals("common") ? AccessLogConfig.Format.COMMON : AccessLogConfig.Format.JSON, path);
    }

    /** {@code stdout}, or a file path, kept as written. */
    private static String accessLogPath(String text) {
        if (!text.equals(AccessLogConfig.STDOUT)) {
            TlsBinder.path(text);
        }
        return text;
    }

    private static HttpConfig http(Node node) {
        if (!node.present() || !node.mapping("routers", "middlewares", "services")) {
            return HttpConfig.EMPTY;
        }
        Map<String, RouterConfig> routers = new LinkedHashMap<>();
        entriesOf(node, "routers").forEach((name, router) -> {
            RouterConfig bound = router(router);
            if (bound != null) {
                routers.put(name, bound);
            }
        });
        Map<String, MiddlewareConfig> middlewares = new LinkedHashMap<>();
        entriesOf(node, "middlewares").forEach((name, m) -> MiddlewareBinder.bind(m).ifPresent(c -> middlewares.put(name, c)));
        Map<String, ServiceConfig> services = new LinkedHashMap<>();
        entriesOf(node, "services").forEach((name, s) -> ServiceBinder.bind(name, s).ifPresent(c -> services.put(name, c)));
        return new HttpConfig(routers, middlewares, services);
    }

    private static Map<String, Node> entriesOf(Node node, String key) {
        Node child = node.at(key);
        return child.present() ? child.entries() : Map.of();
    }

    private static RouterConfig router(Node node) {
        if (!node.mapping("rule", "service", "middlewares", "priority", "entryPoints", "allow", "tls")) {
            return null;
        }
        String rule = node.requiredString("rule");
        String service = node.requiredString("service");
        return new RouterConfig(rule, service, strings(node, "middlewares"),
                node.optInt("priority"), strings(node, "entryPoints"), AllowEntry.bindList(node, "allow"),
                TlsBinder.router(node.section("tls")));
    }

    /** A list of strings; bad items are reported and left out. */
    static List<String> strings(Node node, String key) {
        return node.list(key).stream().map(Node::text).filter(s -> s != null).toList();
    }

    static <T> T missing(Node node, String key, T fallback) {
        node.error("missing required key '" + key + "'");
        return fallback;
    }
}
