package io.wsproxy.spi;

/** A rule's plugin options are wrong; the message names the option and what is expected. */
public class InvalidOptionsException extends Exception {
    private final String option;

    public InvalidOptionsException(String option, String message) {
        super(message);
        this.option = option;
    }

    /** The option's key (for the error's location in the rules file), or null when it concerns them all. */
    public String option() {
        return option;
    }
}
