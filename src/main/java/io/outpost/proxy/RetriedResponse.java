package io.outpost.proxy;

/**
 * The cause passed to {@link ForwardListener#onNotReached} when an attempt's response (or its
 * 504 timeout) was discarded because {@link ForwardListener#retryResponse} asked for a retry.
 */
public final class RetriedResponse extends Exception {

    private final int status;

    public RetriedResponse(int status) {
        super("status " + status, null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
