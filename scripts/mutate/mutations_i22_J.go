package main

// Issue 22's loose ends (slice J).
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "a static model's load error reaches tenants without its server path (the log has it)",
			file:  "models.go",
			old:   "ms.Add(name, mc.Kind, nil, staticLoadError(err))",
			new:   "ms.Add(name, mc.Kind, nil, err)",
			tests: []string{".:TestConfiguredModels"},
		},
	}...)
}
