package certify

import (
	"reflect"
	"strings"
	"testing"
)

func TestEmbeddedSuitesLoad(t *testing.T) {
	names := Names()
	if !reflect.DeepEqual(names, []string{"gitlab-client", "microsoft-publisher"}) {
		t.Fatalf("Names() = %v", names)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			s, err := Load(name)
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != name || len(s.Verdicts) == 0 || len(s.Challenges) == 0 {
				t.Fatalf("suite %s: %d verdicts, %d challenges", s.Name, len(s.Verdicts), len(s.Challenges))
			}
			r := Judge(s, nil, 0)
			if r.Passed || r.Summary.NotExercised != len(s.Verdicts) {
				t.Errorf("an empty journal must exercise nothing and pass nothing: %+v", r.Summary)
			}
		})
	}
	t.Run("an unknown suite is named with the known ones", func(t *testing.T) {
		_, err := Load("nope")
		if err == nil || !strings.Contains(err.Error(), "gitlab-client") {
			t.Fatalf("err = %v", err)
		}
	})
}
