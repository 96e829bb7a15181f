package engine

import (
	"maps"
	"slices"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
)

// TestControlVocabularyIsOneList keeps the engine's table of requests and
// the scenario format's table of names (which the loader checks) equal.
func TestControlVocabularyIsOneList(t *testing.T) {
	engine := slices.Sorted(maps.Keys(controlActions()))
	if format := scenario.ControlActionNames(); !slices.Equal(engine, format) {
		t.Errorf("engine actions %v, scenario actions %v", engine, format)
	}
}
