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
        AdminConfig admin = admin(root.at("admin"));
        JournalConfig journal = journal(root.at("journal"));
        AccessLogConfig accessLog = accessLog(root.at("accessLog"));
        HttpConfig http = http(root.at("http"));
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
                        TlsBinder.entryPoint(node.at("tls")),
                        forwardedHeaders(node.at("forwardedHeaders"))));
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
        Node authNode = node.at("auth");
        if (authNode.present() && authNode.mapping("token")) {
            String token = authNode.requiredString("token");
            if (token.isBlank() && authNode.has("token")) {
                authNode.at("token").error("must not be empty");
            }
            auth = Optional.of(new AdminConfig.Auth(token));
        }
        AdminConfig admin = new AdminConfig(address, auth);
        TlsBinder.adminAuth(node, admin);
        return admin;
    }

    private static JournalConfig journal(Node node) {
        if (!node.present() || !node.mapping("dir")) {
            return JournalConfig.DEFAULT;
        }
        String dir = node.string("dir", JournalConfig.DEFAULT.dir().toString());
        if (dir.isBlank()) {
            node.at("dir").error("must not be empty");
            return JournalConfig.DEFAULT;
        }
        return node.parsed("dir", TlsBinder::path).map(JournalConfig::new).orElse(JournalConfig.DEFAULT);
    }

    private static AccessLogConfig accessLog(Node node) {
        if (!node.present()) {
            return AccessLogConfig.OFF;
        }
        if (!node.mapping("enabled", "format", "path")) {
            return AccessLogConfig.DEFAULT;
        }
        boolean enabled = node.bool("enabled", true);
        String format = node.choice("format", "json", "json", "common");
        String path = node.string("path", AccessLogConfig.STDOUT);
        if (path.isBlank()) {
            node.at("path").error("must not be empty (expected: \"stdout\" or a file path)");
            path = AccessLogConfig.STDOUT;
        } else if (!path.equals(AccessLogConfig.STDOUT) && node.parsed("path", TlsBinder::path).isEmpty()) {
            path = AccessLogConfig.STDOUT;
        }
        return new AccessLogConfig(enabled,
                format.equals("common") ? AccessLogConfig.Format.COMMON : AccessLogConfig.Format.JSON, path);
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
        if (node.has("rule") && rule.isBlank()) {
            node.at("rule").error("must not be empty");
        }
        String service = node.requiredString("service");
        return new RouterConfig(rule, service, strings(node, "middlewares"),
                node.optInt("priority"), strings(node, "entryPoints"), AllowEntry.bindList(node, "allow"),
                TlsBinder.router(node.at("tls")));
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
