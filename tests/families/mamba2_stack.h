// mamba2_stack.h: TEST ONLY. A model family that ships nowhere: a stack of
// Mamba-2 mixers without MLPs (each layer x + mixer(norm(x))), built only from
// the shared blocks. It exists to show, and to test, that a family is its
// config parsing, its weight names and its wiring in its own file, plus one
// registry row that the caller adds:
//
//   FamilyRegistry families = FamilyRegistry::Product().With(Mamba2StackFamily());
//   ASSIGN_OR_RETURN(auto lm, LoadCausalLM(dir, {.families = &families}));
//
// Thread-safety: the row holds only constants and free functions.
#ifndef ABLATE_TESTS_FAMILIES_MAMBA2_STACK_H_
#define ABLATE_TESTS_FAMILIES_MAMBA2_STACK_H_

#include "worker/models/families/registry.h"

namespace ablate::models::test_families {

// The config.json model_type this family loads.
inline constexpr char kMamba2StackModelType[] = "test_mamba2_stack";

// The family's registry row (parse + wiring; default tolerances).
FamilyTraits Mamba2StackFamily();

}  // namespace ablate::models::test_families

#endif  // ABLATE_TESTS_FAMILIES_MAMBA2_STACK_H_
