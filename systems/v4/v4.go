package v4

import (
	"fmt"
	"math"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
)

// Number is this version's number.
const Number = 4

// snippet:v4

// Health is an entity's hit points and how fast they regrow, per second.
type Health struct {
	HP, Regen float32
}

// Mass64 is v4's mass: a float64 where v3 has a float32.
type Mass64 float64

// MaxHP is the most hit points regeneration reaches.
const MaxHP = 100

// Components v4 declares itself.
var (
	// HealthC is the "health" component, which only v4 has.
	HealthC = ecs.MustRegister[Health]("health")
	// MassC is "mass" in v4's layout (float64).
	MassC = ecs.MustRegister[Mass64]("mass")
)

// Layout is v4's world layout: v3's position, velocity and collided, mass as
// a float64 (1 by default) and health (full, regrowing 1 per second, by
// default).
var Layout = ecs.MustLayout(scenario.Position, scenario.Velocity, scenario.Collided,
	ecs.Default(MassC, 1), ecs.Default(HealthC, Health{HP: MaxHP, Regen: 1}))

// Version describes v4 to the engine. The zero value is ready to use.
type Version struct{}

// Number returns 4.
func (Version) Number() int { return Number }

// Components returns [Layout].
func (Version) Components() *ecs.Layout { return Layout }

// Migrations declares v3→v4 and v4→v3, converting mass between float32 and
// float64 ([FromV3], [ToV3]). The rest of each step is derived.
func (Version) Migrations() []ecs.Migration {
	return []ecs.Migration{
		{From: 3, To: Number, Convert: FromV3},
		{From: Number, To: 3, Convert: ToV3},
	}
}

// NewLogic returns a fresh v4 instance.
func (Version) NewLogic() (ecs.Logic, error) { return Logic{}, nil }

// end snippet

// v3Mass is "mass" in v3's layout, matched by name and layout: v4 does not
// import v3.
var v3Mass = ecs.MustRegister[float32]("mass")

// FromV3 widens v3's float32 mass to v4's float64 (exact).
func FromV3(src, dst *ecs.Columns) error {
	in, out := ecs.Column(src, v3Mass), ecs.Column(dst, MassC)
	if in == nil || out == nil {
		return fmt.Errorf("v3→v4: mass columns missing")
	}
	for i, m := range in {
		out[i] = Mass64(m)
	}
	return nil
}

// ToV3 narrows v4's mass to float32, refusing a value a float32 cannot
// hold: the move then fails and changes nothing.
func ToV3(src, dst *ecs.Columns) error {
	in, out := ecs.Column(src, MassC), ecs.Column(dst, v3Mass)
	if in == nil || out == nil {
		return fmt.Errorf("v4→v3: mass columns missing")
	}
	for i, m := range in {
		f := float32(m)
		if math.IsInf(float64(f), 0) && !math.IsInf(float64(m), 0) {
			return fmt.Errorf("v4→v3: mass %v does not fit a float32", float64(m))
		}
		out[i] = f
	}
	return nil
}

// Gravity is v4's acceleration, as v3's default.
const Gravity = 9.8

// Logic is a loaded v4 instance. It holds no state.
type Logic struct{}

// Schedule is "move", "bounds" and "regen".
func (Logic) Schedule() ecs.Schedule {
	pos, vel, col := scenario.Position, scenario.Velocity, scenario.Collided
	return ecs.Schedule{
		{Name: "move", Reads: ecs.SetOf(pos, vel), Writes: ecs.SetOf(pos, vel), Run: Move},
		{Name: "bounds", Reads: ecs.SetOf(pos), Writes: ecs.SetOf(col), Run: Bounds},
		{Name: "regen", Reads: ecs.SetOf(HealthC), Writes: ecs.SetOf(HealthC), Run: Regen},
	}
}

// Move applies v3's gravity, then moves: vy += float32(9.8·dt), then
// p += float32(v·dt), each product rounded on its own as v3's kernels do.
func Move(v *ecs.View, dt float32) error {
	c := v.Columns()
	gy := float32(Gravity * dt)
	pos, vel := ecs.Column(&c, scenario.Position), ecs.Column(&c, scenario.Velocity)
	for i := range pos {
		vel[i].Y += gy
		pos[i].X += float32(vel[i].X * dt)
		pos[i].Y += float32(vel[i].Y * dt)
	}
	return nil
}

// Bounds sets collided when an entity is outside [0, 1000]² (NaN counts as
// outside), as v3 does.
func Bounds(v *ecs.View, _ float32) error {
	c := v.Columns()
	pos, col := ecs.Column(&c, scenario.Position), ecs.Column(&c, scenario.Collided)
	for i, p := range pos {
		col[i] = !(p.X >= 0 && p.X <= 1000 && p.Y >= 0 && p.Y <= 1000)
	}
	return nil
}

// Regen regrows hit points at each entity's rate, up to MaxHP.
func Regen(v *ecs.View, dt float32) error {
	c := v.Columns()
	hs := ecs.Column(&c, HealthC)
	for i := range hs {
		hs[i].HP = min(MaxHP, hs[i].HP+float32(hs[i].Regen*dt))
	}
	return nil
}
