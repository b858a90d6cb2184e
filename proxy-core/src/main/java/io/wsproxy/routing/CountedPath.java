package io.wsproxy.routing;

/**
 * A request path that regex matching reads through a budget: each character read costs one, and past the budget
 * the match is abandoned. A rule's pattern that backtracks without end on some input (repeated quantifiers such as
 * {@code /(.*)/(.*)/(.*)/x$}, n^3 reads on a run of n slashes) then costs a hostile path a bounded time on the I/O
 * thread, as PCRE's match limit bounds nginx's.
 */
final class CountedPath implements CharSequence {
    /** What any path may cost, whatever its length: far above what sound patterns read on a short path. */
    private static final long BASE_BUDGET = 200_000;
    /** Per character of the path: a sound unanchored pattern reads each position a few times, per rule. */
    private static final long BUDGET_PER_CHAR = 256;

    private final String path;
    private long left;

    CountedPath(String path) {
        this.path = path;
        this.left = BASE_BUDGET + BUDGET_PER_CHAR * path.length();
    }

    @Override
    public char charAt(int index) {
        if (--left < 0) {
            throw Exhausted.INSTANCE;
        }
        return path.charAt(index);
    }

    @Override
    public int length() {
        return path.length();
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        return path.subSequence(start, end);
    }

    @Override
    public String toString() {
        return path;
    }

    /** Thrown out of the matcher when the budget is spent; no stack trace, as nobody reads one. */
    static final class Exhausted extends RuntimeException {
        static final Exhausted INSTANCE = new Exhausted();

        private Exhausted() {
            super("path matching budget spent", null, false, false);
        }
    }
}
