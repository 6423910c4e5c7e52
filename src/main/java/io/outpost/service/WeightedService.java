package io.outpost.service;

import io.netty.handler.codec.http.HttpResponse;
import io.outpost.config.ServiceConfig;
import io.outpost.middleware.Exchange;
import io.outpost.proxy.ProxyExchange;
import io.outpost.proxy.UpstreamTarget;
import io.outpost.upstream.split.WeightedSelector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A {@code weighted} service: canaries and blue-green switches between child services, in smooth
 * weighted order (weights 9 and 1 send exactly one request in ten to the canary). With a sticky
 * cookie, a client stays on the child it first got. A reload builds a new selector, so new weights
 * apply to the next request.
 */
public final class WeightedService implements Service, Addressable {

    private final String name;
    private final List<Child> children = new ArrayList<>();
    private final WeightedSelector<Child> selector;
    private final Map<String, Child> byCookie = new HashMap<>();
    private final StickyCookie sticky;

    /** @param built the services built so far in this snapshot, children included */
    public WeightedService(String name, ServiceConfig.Weighted config, Function<String, Service> built, long start) {
        this.name = name;
        this.sticky = config.sticky().map(s -> new StickyCookie(s.cookie())).orElse(null);
        int[] weights = new int[config.services().size()];
        for (int i = 0; i < weights.length; i++) {
            ServiceConfig.WeightedService ws = config.services().get(i);
            Service s = built.apply(ws.name());
            if (s == null) {
                throw new IllegalArgumentException("service " + name + ": child '" + ws.name() + "' is not built");
            }
            Child c = new Child(ws.name(), ws.weight(), s);
            children.add(c);
            weights[i] = ws.weight();
            if (sticky != null) {
                byCookie.put(c.cookieValue, c);
            }
        }
        this.selector = WeightedSelector.of(children, weights, start);
    }

    public String name() {
        return name;
    }

    @Override
    public void handle(ProxyExchange exchange) {
        Child c = null;
        if (sticky != null) {
            String pinned = sticky.valueIn(exchange);
            c = pinned == null ? null : byCookie.get(pinned);
            if (c == null) {
                c = selector.next();
                exchange.onResponse(c);
            }
        } else {
            c = selector.next();
        }
        c.service.handle(exchange);
    }

    @Override
    public UpstreamTarget choose(Exchange exchange) {
        Service s = selector.next().service;
        return s instanceof Addressable a ? a.choose(exchange) : null;
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "weighted");
        List<Object> list = new ArrayList<>();
        for (Child c : children) {
            list.add(Map.of("name", c.name, "weight", c.weight));
        }
        m.put("services", list);
        if (sticky != null) {
            m.put("stickyCookie", sticky.name());
        }
        return m;
    }

    /** One child service; also the listener that pins a client to it. */
    private final class Child implements Exchange.ResponseListener {
        final String name;
        final int weight;
        final Service service;
        final String cookieValue;
        final String cookieHeader;

        Child(String name, int weight, Service service) {
            this.name = name;
            this.weight = weight;
            this.service = service;
            this.cookieValue = StickyCookie.valueFor("service:" + name);
            this.cookieHeader = sticky == null ? null : sticky.header(cookieValue);
        }

        @Override
        public void onResponse(Exchange exchange, HttpResponse response) {
            StickyCookie.set(response, cookieHeader);
        }
    }
}
