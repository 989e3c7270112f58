package web

import (
	"fmt"
	"io/fs"
	"regexp"
	"strings"
)

// The modules keep to a plain subset of ES module syntax so that link can inline them
// without a bundler: imports only as `import { a, b } from './name.js';` on a line of
// their own, exports only as `export` before a function, const or class declaration at
// the start of a line. Exported bindings are never reassigned (no `export let`): a
// module that needs to change shared state exports a function that does.
var (
	importLine = regexp.MustCompile(`^import \{ (\w+(?:, \w+)*) \} from '\./(\w+\.js)';$`)
	exportLine = regexp.MustCompile(`^export ((?:async )?function\*? |const |class )(\w+)`)
)

// link returns the module graph rooted at entry as one classic script: each module in
// its own function scope, run once in the order a browser would (dependencies first),
// its imports read from the modules it names. The page then behaves as the modules do
// when a browser loads them, without fetching them.
func link(fsys fs.FS, entry string) (string, error) {
	var (
		out   strings.Builder
		state = map[string]int{} // 1 while linking its imports, 2 once written
		visit func(name string) error
	)
	out.WriteString("'use strict';\n(() => {\n")
	visit = func(name string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("web: %s imports itself through its imports", name)
		case 2:
			return nil
		}
		state[name] = 1
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		var exports []string
		for i, l := range lines {
			if m := importLine.FindStringSubmatch(l); m != nil {
				if err := visit(m[2]); err != nil {
					return err
				}
				lines[i] = "const { " + m[1] + " } = " + moduleVar(m[2]) + ";"
			} else if m := exportLine.FindStringSubmatch(l); m != nil {
				exports = append(exports, m[2])
				lines[i] = strings.TrimPrefix(l, "export ")
			} else if strings.HasPrefix(l, "import") || strings.HasPrefix(l, "export") {
				return fmt.Errorf("web: %s:%d: not an import or export link understands: %s", name, i+1, l)
			}
		}
		if name == entry {
			fmt.Fprintf(&out, "// %s\n(() => {\n%s\n})();\n", name, strings.Join(lines, "\n"))
		} else {
			fmt.Fprintf(&out, "// %s\nconst %s = (() => {\n%s\nreturn { %s };\n})();\n",
				name, moduleVar(name), strings.Join(lines, "\n"), strings.Join(exports, ", "))
		}
		state[name] = 2
		return nil
	}
	if err := visit(entry); err != nil {
		return "", err
	}
	out.WriteString("})();\n")
	return out.String(), nil
}

// moduleVar names the object that holds a module's exports in the linked script.
func moduleVar(name string) string { return "$" + strings.TrimSuffix(name, ".js") }
