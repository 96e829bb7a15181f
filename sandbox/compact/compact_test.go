package compact_test

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/compact"
)

type event struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Detail string    `json:"detail"`
}

type order struct {
	ID       string  `json:"id"`
	Email    string  `json:"email"`
	Timeline []event `json:"timeline"`
}

func sample(i int) order {
	at := time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC)
	return order{ID: fmt.Sprintf("order-%d", i), Email: fmt.Sprintf("buyer%d@example.com", i), Timeline: []event{
		{At: at, Kind: "status", Detail: "order accepted"},
		{At: at.Add(2 * time.Second), Kind: "callout", Detail: fmt.Sprintf("zuora callout attempt 1 (%032x): delivered, HTTP 200", i)},
	}}
}

func TestFrozenRecordsThawAsTheyWere(t *testing.T) {
	codec := compact.NewCodec(sample(0))
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			want := sample(i + 1)
			frozen, err := codec.Freeze(want)
			if err != nil {
				t.Error(err)
				return
			}
			var got order
			if err := codec.Thaw(frozen, &got); err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("thawed %+v, %v; want %+v", got, err, want)
			}
		})
	}
	wg.Wait()
}

func TestTheDictionaryMakesRecordsSmall(t *testing.T) {
	plain, with := compact.NewCodec(), compact.NewCodec(sample(0))
	a, _ := plain.Freeze(sample(7))
	b, _ := with.Freeze(sample(7))
	if len(b) >= len(a)/2 {
		t.Errorf("frozen with a dictionary %d bytes, without %d: the dictionary should halve it at least", len(b), len(a))
	}
}

func TestThawRefusesWhatIsNotFrozen(t *testing.T) {
	var got order
	if err := compact.NewCodec(sample(0)).Thaw([]byte("not deflate at all"), &got); err == nil {
		t.Error("Thaw accepted garbage")
	}
}

func BenchmarkFreezeThaw(b *testing.B) {
	codec := compact.NewCodec(sample(0))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		frozen, _ := codec.Freeze(sample(i))
		var got order
		_ = codec.Thaw(frozen, &got)
	}
}
