package scenario

import (
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// lineIndex maps the location of every value in a YAML document (as JSON
// Schema reports it: a list of keys and indexes) to the line where it is
// written, so that a schema error can name a line.
type lineIndex map[string]int

func indexLines(data []byte) lineIndex {
	idx := lineIndex{}
	file, err := parser.ParseBytes(data, 0)
	if err != nil || len(file.Docs) == 0 {
		return idx
	}
	idx.walk(file.Docs[0].Body, nil)
	return idx
}

func locKey(loc []string) string { return strings.Join(loc, "\x00") }

// lineOf returns the line of loc, or of its nearest ancestor written in the
// file (a missing property is reported on its parent).
func (idx lineIndex) lineOf(loc []string) int {
	for n := len(loc); n >= 0; n-- {
		if line, ok := idx[locKey(loc[:n])]; ok {
			return line
		}
	}
	return 0
}

func (idx lineIndex) walk(node ast.Node, loc []string) {
	if node == nil {
		return
	}
	if _, seen := idx[locKey(loc)]; !seen {
		if tk := node.GetToken(); tk != nil && tk.Position != nil {
			idx[locKey(loc)] = tk.Position.Line
		}
	}
	switch n := node.(type) {
	case *ast.DocumentNode:
		idx.walk(n.Body, loc)
	case *ast.TagNode:
		idx.walk(n.Value, loc)
	case *ast.AnchorNode:
		idx.walk(n.Value, loc)
	case *ast.MappingNode:
		for _, mv := range n.Values {
			idx.walkPair(mv, loc)
		}
	case *ast.MappingValueNode:
		idx.walkPair(n, loc)
	case *ast.SequenceNode:
		for i, v := range n.Values {
			child := append(append([]string{}, loc...), strconv.Itoa(i))
			idx.walk(v, child)
		}
	}
}

func (idx lineIndex) walkPair(mv *ast.MappingValueNode, loc []string) {
	key := mv.Key.GetToken()
	if key == nil {
		return
	}
	child := append(append([]string{}, loc...), key.Value)
	if key.Position != nil {
		idx[locKey(child)] = key.Position.Line
	}
	idx.walk(mv.Value, child)
}

// maxExpandedNodes bounds what a file may expand to through YAML aliases:
// nine aliases of nine aliases of … (a "billion laughs" file) are a few
// hundred bytes and would take the loader minutes and gigabytes.
const maxExpandedNodes = 100_000

// aliasBomb reports the line of the first alias of a document that
// expands beyond maxExpandedNodes, or 0.
func aliasBomb(data []byte) int {
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return 0 // the decoder reports the syntax error
	}
	sizes := map[string]int{}
	firstAlias := 0
	var size func(n ast.Node) int
	size = func(n ast.Node) int {
		switch v := n.(type) {
		case nil:
			return 0
		case *ast.AliasNode:
			if firstAlias == 0 && v.GetToken() != nil && v.GetToken().Position != nil {
				firstAlias = v.GetToken().Position.Line
			}
			if s, ok := sizes[v.Value.GetToken().Value]; ok {
				return s
			}
			return 1
		case *ast.AnchorNode:
			s := size(v.Value)
			sizes[v.Name.GetToken().Value] = s
			return s
		case *ast.DocumentNode:
			return size(v.Body)
		case *ast.TagNode:
			return size(v.Value)
		case *ast.MappingNode:
			total := 1
			for _, mv := range v.Values {
				total += size(mv)
			}
			return min(total, maxExpandedNodes+1)
		case *ast.MappingValueNode:
			return min(1+size(v.Key)+size(v.Value), maxExpandedNodes+1)
		case *ast.SequenceNode:
			total := 1
			for _, item := range v.Values {
				total += size(item)
			}
			return min(total, maxExpandedNodes+1)
		}
		return 1
	}
	for _, doc := range file.Docs {
		if size(doc) > maxExpandedNodes {
			return max(firstAlias, 1)
		}
	}
	return 0
}
