package io.outpost.demo;

import java.nio.file.Path;

/**
 * The gateway configuration {@code outpost demo} writes: one router for {@code /pos} to a
 * {@code replicated} service whose session is the till, with the cloud replica (reached through the
 * link simulator) preferred and the edge replica as the fallback. {@code examples/demo.yaml} is this
 * file for the default ports and data directory.
 */
public final class DemoConfig {

    public static final String FILE = "outpost.yaml";

    private DemoConfig() {
    }

    /** The configuration for {@code ports}, keeping the journal and access log under {@code dataDir}. */
    public static String yaml(DemoPorts ports, Path dataDir) {
        return """
                # Written by `outpost demo`: the gateway in front of the sample point-of-sale service,
                # replicated to a cloud replica (reached through the link simulator) and an edge replica.
                entryPoints:
                  web: { address: "127.0.0.1:%d" }
                admin: { address: "127.0.0.1:%d" }
                journal: { dir: %s }
                accessLog: { format: common, path: %s }

                http:
                  routers:
                    pos:
                      rule: "PathPrefix(`/pos`)"
                      service: pos
                  services:
                    pos:
                      replicated:
                        sessionKey: "header:X-Till"      # one session per till: its sales stay in order
                        replicas:
                          cloud: { priority: 0, endpoints: ["http://127.0.0.1:%d"] }   # through the link simulator
                          edge:  { priority: 1, endpoints: ["http://127.0.0.1:%d"] }
                        healthCheck: { path: /health, interval: 1s, timeout: 500ms }
                """.formatted(ports.gateway(), ports.admin(), quoted(dataDir.resolve("journal")),
                quoted(dataDir.resolve("access.log")), ports.link(), ports.edge());
    }

    /** A YAML double-quoted scalar. */
    static String quoted(Path path) {
        return "\"" + path.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
