// The recipe module's public face: the types (recipe-types.ts) and the parser
// (parse-recipe.ts), kept apart so the parser's parts import the types without a cycle.
export type { Recipe, RecipeStep } from "./recipe-types.js";
export { RecipeError } from "./recipe-types.js";
export { parseRecipe, maxRecipeSteps } from "./parse-recipe.js";
export { maxRecipeBytes } from "./recipe-lines.js";
