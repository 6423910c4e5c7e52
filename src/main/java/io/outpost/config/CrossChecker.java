package io.outpost.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks what no single section can: references between routers, middlewares, services and entry
 * points, clashing addresses, and cycles in the graph of composite services. Names count as declared
 * even when their own definition has errors, so one mistake is reported once.
 */
final class CrossChecker {

    private final Node root;
    private final OutpostConfig config;
    private final Set<String> declaredServices;
    private final Set<String> declaredMiddlewares;
    private final Set<String> declaredEntryPoints;
    private final Set<String> reportedCycles = new HashSet<>();

    private CrossChecker(Node root, OutpostConfig config) {
        this.root = root;
        this.config = config;
        this.declaredServices = root.at("http").at("services").keys();
        this.declaredMiddlewares = root.at("http").at("middlewares").keys();
        this.declaredEntryPoints = root.at("entryPoints").keys();
    }

    static void check(Node root, OutpostConfig config, RuleChecker rules) {
        CrossChecker checker = new CrossChecker(root, config);
        checker.addresses();
        checker.routers(rules);
        checker.serviceReferences();
        checker.cycles();
        TlsBinder.crossCheck(root, config);
    }

    private void addresses() {
        List<Map.Entry<String, EntryPointConfig>> seen = new ArrayList<>();
        config.entryPoints().forEach((name, ep) -> {
            for (Map.Entry<String, EntryPointConfig> other : seen) {
                if (ep.address().clashesWith(other.getValue().address())) {
                    root.at("entryPoints").at(name).at("address").error(
                            ep.address() + " is already used by entry point '" + other.getKey() + "'");
                }
            }
            seen.add(Map.entry(name, ep));
        });
        HostPort admin = config.admin().address();
        seen.stream().filter(e -> admin.clashesWith(e.getValue().address())).findFirst().ifPresent(e ->
                root.at("admin").at("address").error(admin + " is already used by entry point '" + e.getKey() + "'"));
    }

    private void routers(RuleChecker rules) {
        Node routers = root.at("http").at("routers");
        config.http().routers().forEach((name, router) -> {
            Node node = routers.at(name);
            if (!router.rule().isBlank()) {
                ruleError(rules, router.rule()).ifPresent(node.at("rule")::error);
            }
            if (!router.service().isEmpty() && !declaredServices.contains(router.service())) {
                node.at("service").error("unknown service '" + router.service() + "'");
            }
            checkNames(node, "middlewares", declaredMiddlewares, "middleware");
            checkNames(node, "entryPoints", declaredEntryPoints, "entry point");
        });
    }

    private static Optional<String> ruleError(RuleChecker rules, String rule) {
        try {
            return rules.check(rule);
        } catch (RuntimeException e) {
            return Optional.of("rule could not be checked: " + e);
        }
    }

    /** Checks each string of the list at {@code key} against {@code declared}, by index so the path is exact. */
    private static void checkNames(Node node, String key, Set<String> declared, String kind) {
        List<Node> items = node.at(key).isList() ? node.list(key) : List.of();
        for (Node item : items) {
            String name = item.quietText();
            if (name != null && !declared.contains(name)) {
                item.error("unknown " + kind + " '" + name + "'");
            }
        }
    }

    private void serviceReferences() {
        Node services = root.at("http").at("services");
        config.http().services().forEach((name, service) -> {
            Node body = services.at(name).at(service.type());
            if (service instanceof ServiceConfig.Weighted weighted) {
                for (int i = 0; i < weighted.services().size(); i++) {
                    reference(name, weighted.services().get(i).name(), body.at("services[" + i + "]").at("name"));
                }
            } else if (service instanceof ServiceConfig.Mirroring mirroring) {
                reference(name, mirroring.service(), body.at("service"));
                for (int i = 0; i < mirroring.mirrors().size(); i++) {
                    String mirror = mirroring.mirrors().get(i).name();
                    Node at = body.at("mirrors[" + i + "]").at("name");
                    if (!mirror.isEmpty() && mirror.equals(mirroring.service())) {
                        at.error("mirror '" + mirror + "' is the mirrored service itself");
                    } else {
                        reference(name, mirror, at);
                    }
                }
            }
        });
    }

    private void reference(String owner, String target, Node at) {
        if (target.isEmpty()) {
            return;
        }
        if (target.equals(owner)) {
            at.error("service '" + owner + "' cannot send traffic to itself");
        } else if (!declaredServices.contains(target)) {
            at.error("unknown service '" + target + "'");
        }
    }

    /** Depth-first search; each back edge is one cycle, reported at the service where it closes. */
    private void cycles() {
        Map<String, Integer> state = new HashMap<>();
        for (String name : config.http().services().keySet()) {
            visit(name, new ArrayList<>(), state);
        }
    }

    private void visit(String name, List<String> stack, Map<String, Integer> state) {
        ServiceConfig service = config.http().services().get(name);
        if (service == null || state.getOrDefault(name, 0) == 2) {
            return;
        }
        if (state.getOrDefault(name, 0) == 1) {
            List<String> cycle = new ArrayList<>(stack.subList(stack.indexOf(name), stack.size()));
            cycle.add(name);
            String first = cycle.get(0);
            if (!reportedCycles.add(String.join(" -> ", cycle))) {
                return;
            }
            root.at("http").at("services").at(first).at(config.http().services().get(first).type())
                    .error("services form a cycle: " + String.join(" -> ", cycle));
            return;
        }
        state.put(name, 1);
        stack.add(name);
        for (String child : service.children()) {
            if (!child.equals(name)) {
                visit(child, stack, state);
            }
        }
        stack.remove(stack.size() - 1);
        state.put(name, 2);
    }
}
