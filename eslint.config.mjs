// Lint: typescript-eslint's recommended rules, plus a ban on Outputs in template literals
// (use pulumi.interpolate; pulumi-eks lints the same way).
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/**", "bin/**", "dist/**", "bench/results.json"] },
    eslint.configs.recommended,
    ...tseslint.configs.recommended,
    {
        // Plain Node scripts: the preload of the provider host and the package link.
        files: ["**/*.cjs"],
        languageOptions: { sourceType: "commonjs", globals: { require: "readonly", module: "writable", __dirname: "readonly", process: "readonly", globalThis: "readonly" } },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
    {
        rules: {
            "@typescript-eslint/no-explicit-any": "error",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
            "no-restricted-syntax": [
                "error",
                {
                    selector: "TemplateLiteral > CallExpression[callee.property.name='apply']",
                    message: "Do not put Outputs in template literals; use pulumi.interpolate.",
                },
            ],
            eqeqeq: ["error", "always", { null: "ignore" }],
        },
    },
);
