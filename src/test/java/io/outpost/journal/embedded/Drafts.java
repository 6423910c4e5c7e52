package io.outpost.journal.embedded;

import io.outpost.journal.EntryDraft;
import io.outpost.journal.Header;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Test drafts whose body can be checked from the key alone. */
final class Drafts {

    private Drafts() {}

    static EntryDraft draft(String session, String key) {
        return new EntryDraft(session, key, "POST", "/orders?key=" + key,
                List.of(new Header("Content-Type", "application/json"), new Header("X-Key", key)), body(key, 64));
    }

    static EntryDraft draft(String session, String key, int bodyBytes) {
        return new EntryDraft(session, key, "POST", "/orders", List.of(new Header("X-Key", key)), body(key, bodyBytes));
    }

    /** A body of {@code n} bytes derived from the key, so a reader can tell intact from damaged. */
    static byte[] body(String key, int n) {
        byte[] seed = ("{\"key\":\"" + key + "\"}").getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) {
            out[i] = seed[i % seed.length];
        }
        return out;
    }
}
