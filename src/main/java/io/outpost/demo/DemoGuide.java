package io.outpost.demo;

import java.nio.file.Path;

/** The short guide {@code outpost demo} prints once everything is up: what to type, in order. */
public final class DemoGuide {

    private DemoGuide() {
    }

    public static String text(DemoPorts p, Path dataDir) {
        String gw = "http://127.0.0.1:" + p.gateway();
        String admin = "http://127.0.0.1:" + p.admin();
        String control = "http://127.0.0.1:" + p.control();
        return """

                Outpost demo is running.
                  gateway  %1$s        tills post sales here (session = X-Till)
                  admin    %2$s        API and /metrics
                  cloud    http://127.0.0.1:%4$d   replica, priority 0, reached through the link on :%5$d
                  edge     http://127.0.0.1:%6$d   replica, priority 1
                  link     %3$s   control of the simulated cloud link
                  data     %7$s   (sales files, journal, access.log, outpost.yaml)

                1. Sell on two tills:
                  curl -s -H 'X-Till: till-1' -d '{"item":"apple","qty":2}' %1$s/pos/sales
                  curl -s -H 'X-Till: till-2' -d '{"item":"pear","qty":1}'  %1$s/pos/sales

                2. Read them back (each till sees its own sales):
                  curl -s -H 'X-Till: till-1' %1$s/pos/sales

                3. Cut the cloud link, then keep selling: the edge takes over.
                  curl -X POST %3$s/link/down
                  curl -s -H 'X-Till: till-1' -d '{"item":"milk","qty":3}' %1$s/pos/sales

                4. Watch the backlog the cloud is missing, then restore the link and watch it drain:
                  curl -s %2$s/api/services/pos
                  curl -X POST %3$s/link/up
                  curl -s %2$s/metrics | grep -i -e backlog -e replay

                5. Compare what each replica holds, straight from the replicas:
                  curl -s http://127.0.0.1:%4$d/pos/sales
                  curl -s http://127.0.0.1:%6$d/pos/sales
                  curl -s http://127.0.0.1:%4$d/pos/summary   # same digest per till = same sales, same order
                  curl -s http://127.0.0.1:%6$d/pos/summary

                Ctrl-C stops everything; the sales stay under %7$s (--fresh starts over).
                """.formatted(gw, admin, control, p.cloud(), p.link(), p.edge(), dataDir);
    }
}
