package main

// Issue 22, slice E: the console on S3 storage and its file checks.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "a pending job's view asks the store whether its input is there (has_input)",
			file:  "server/jobinput.go",
			old:   "v.HasInput = true",
			new:   "v.HasInput = j.InputFilename != \"\"",
			tests: []string{"server:TestJobViewHasInput"},
		},
		{
			name:  "the console enables preview and Start from has_input, not from a file name an S3 upload never gives",
			file:  "web/static/jobutil.js",
			old:   "const hasFile = (j) => !!j.has_input || j.status !== 'pending';",
			new:   "const hasFile = (j) => !!j.input_filename || j.status !== 'pending';",
			tests: []string{".:TestBrowserConsoleS3"},
			needs: "CLASSER_TEST_S3_ENDPOINT",
		},
		{
			name:  "the new-job form checks the file before it creates the job (no orphan job)",
			file:  "web/static/newjob.js",
			old:   "try { bad = await notNDJSON(file); } catch (e) {",
			new:   "try { bad = ''; } catch (e) {",
			tests: []string{".:TestBrowserNewJobFileChecks"},
		},
		{
			name:  "the upload's progress sits under the step's text, not in the dot column",
			file:  "web/static/app.css",
			old:   ".steps li .extra { grid-column: 2; min-width: 0; }",
			new:   ".steps li .extra { min-width: 0; }",
			tests: []string{".:TestBrowserNewJobFileChecks"},
		},
	}...)
}
