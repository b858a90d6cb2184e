package io.wsproxy.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(10)
class ArgumentsTest {

    @Test
    void noArgumentsMeanRulesYamlHereAndNoOverrides() throws Exception {
        Arguments a = Arguments.parse();
        assertEquals(Path.of("rules.yaml"), a.config());
        assertNull(a.plugins());
        assertNull(a.port());
        assertFalse(a.check());
        assertFalse(a.help());
    }

    @Test
    void checkIsAFlag() throws Exception {
        Arguments a = Arguments.parse("--check", "--config", "r.yaml");
        assertTrue(a.check());
        assertEquals(Path.of("r.yaml"), a.config());
    }

    @Test
    void everyOptionTakesItsValueAsTheNextArgumentOrAfterAnEqualsSign() throws Exception {
        Arguments a = Arguments.parse("--config", "conf/r.yaml", "--plugins=/opt/p", "--port", "0");
        assertEquals(Path.of("conf/r.yaml"), a.config());
        assertEquals(Path.of("/opt/p"), a.plugins());
        assertEquals(0, a.port());
        assertEquals(65535, Arguments.parse("--port=65535").port());
    }

    @Test
    void helpWinsOverEverythingElse() throws Exception {
        assertTrue(Arguments.parse("--port", "x", "--help").help());
        assertTrue(Arguments.parse("-h").help());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--port|x                       |--port: expected a port from 0 to 65535, got 'x'",
        "--port|65536                   |--port: expected a port from 0 to 65535, got '65536'",
        "--port|-1                      |--port: expected a port from 0 to 65535, got '-1'",
        "--port|                        |--port needs a value",
        "--config|                      |--config needs a value",
        "--verbose|                     |unknown option '--verbose'",
        "--check=yes|                   |--check takes no value",
        "rules.yaml|                    |unexpected argument 'rules.yaml'",
    })
    void wrongCommandLinesSayWhatIsWrong(String first, String second, String message) {
        String[] args = second == null ? new String[] {first} : new String[] {first, second};
        var e = assertThrows(Arguments.UsageException.class, () -> Arguments.parse(args));
        assertEquals(message, e.getMessage());
    }

    @Test
    void anOptionFollowedByAnotherOptionHasNoValue() {
        var e = assertThrows(Arguments.UsageException.class, () -> Arguments.parse("--config", "--port", "1"));
        assertEquals("--config needs a value", e.getMessage());
    }

    @Test
    void anOptionGivenTwiceIsAnError() {
        var e = assertThrows(Arguments.UsageException.class, () -> Arguments.parse("--port", "1", "--port=2"));
        assertEquals("--port is given twice", e.getMessage());
    }
}
