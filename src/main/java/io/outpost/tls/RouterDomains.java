package io.outpost.tls;

import io.outpost.config.RouterConfig;
import io.outpost.config.TlsConfig;
import io.outpost.router.Matcher;
import io.outpost.router.Rule;
import io.outpost.router.RuleParser;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The domains a router's certificate must cover: {@code tls.domains} when given, else every literal
 * host of its {@code Host} matchers (those under {@code !} are skipped: they are hosts it refuses).
 */
final class RouterDomains {

    private RouterDomains() {}

    static List<String> of(RouterConfig router) {
        List<String> configured = router.tls().map(TlsConfig.Router::domains).orElse(List.of());
        if (!configured.isEmpty()) {
            return configured.stream().map(d -> d.toLowerCase(Locale.ROOT)).distinct().toList();
        }
        Set<String> hosts = new LinkedHashSet<>();
        collect(RuleParser.parse(router.rule()), hosts);
        return List.copyOf(hosts);
    }

    private static void collect(Rule rule, Set<String> out) {
        if (rule instanceof Matcher.Host host) {
            host.hosts().forEach(h -> out.add(h.toLowerCase(Locale.ROOT)));
        } else if (rule instanceof Rule.And and) {
            and.operands().forEach(r -> collect(r, out));
        } else if (rule instanceof Rule.Or or) {
            or.operands().forEach(r -> collect(r, out));
        }
    }
}
