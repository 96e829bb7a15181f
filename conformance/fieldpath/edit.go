package fieldpath

import "fmt"

// Set stores value at the path inside doc, creating objects on the way, and
// returns the edited document. Array indexes must already exist, except one
// past the end, which appends. Set edits doc in place; callers own doc.
func (p Path) Set(doc any, value any) (any, error) {
	if len(p) == 0 {
		return value, nil
	}
	seg := p[0]
	switch {
	case seg.Wildcard:
		return nil, fmt.Errorf("field path %s: cannot set through [*]", p)
	case seg.Key != "":
		obj, ok := doc.(map[string]any)
		if doc == nil {
			obj, ok = map[string]any{}, true
		}
		if !ok {
			return nil, fmt.Errorf("field path %s: %q is not inside an object", p, seg.Key)
		}
		child, err := p[1:].Set(obj[seg.Key], value)
		if err != nil {
			return nil, err
		}
		obj[seg.Key] = child
		return obj, nil
	default:
		arr, ok := doc.([]any)
		if !ok || seg.Index > len(arr) {
			return nil, fmt.Errorf("field path %s: index [%d] out of range", p, seg.Index)
		}
		if seg.Index == len(arr) {
			arr = append(arr, nil)
		}
		child, err := p[1:].Set(arr[seg.Index], value)
		if err != nil {
			return nil, err
		}
		arr[seg.Index] = child
		return arr, nil
	}
}

// Delete removes the field or array element at the path and returns the
// edited document. A missing field is an error: a scenario that removes a
// field which is not there tests nothing.
func (p Path) Delete(doc any) (any, error) {
	if len(p) == 0 {
		return nil, fmt.Errorf("field path $: cannot delete the whole document")
	}
	parent, ok := p[:len(p)-1].Get(doc)
	if !ok || p[:len(p)-1].HasWildcard() {
		return nil, fmt.Errorf("field path %s: no such field", p)
	}
	last := p[len(p)-1]
	switch {
	case last.Wildcard:
		return nil, fmt.Errorf("field path %s: cannot delete [*]", p)
	case last.Key != "":
		obj, ok := parent.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("field path %s: no such field", p)
		}
		if _, ok := obj[last.Key]; !ok {
			return nil, fmt.Errorf("field path %s: no such field", p)
		}
		delete(obj, last.Key)
		return doc, nil
	default:
		arr, ok := parent.([]any)
		if !ok || last.Index >= len(arr) {
			return nil, fmt.Errorf("field path %s: no such element", p)
		}
		shorter := append(arr[:last.Index:last.Index], arr[last.Index+1:]...)
		return p[:len(p)-1].Set(doc, shorter)
	}
}
