# make demo   set up, prepare MNIST offline, print the GPU check, run the instructor's job
#             (release, autograde, feedback for every lab), train the MLP GAN briefly
# make test   set up and run the whole test suite
# make student-build   one student wheel per lab in dist/student/<lab>/ (no grading/, no
#             code that answers that lab's or a later lab's TODOs)
# make gpu-check   the whole GPU verification into runs/gpu-check/gpu-check.md (needs a GPU)
#
# Each creates .venv when it is missing. A second run does no set-up work: the stamp file
# .venv/.installed is newer than pyproject.toml until the dependencies change.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# CI and developer machines carry the real 10,000-image MNIST test set here; nothing needs it.
SHARED_MNIST := ../shared/data/mnist/raw
MNIST_SOURCE := $(if $(GAN_LAB_MNIST_DIR),$(GAN_LAB_MNIST_DIR),$(if $(wildcard $(SHARED_MNIST)/*),$(SHARED_MNIST),))

.PHONY: demo test setup sandbox data doctor student-build gpu-check clean

setup: $(STAMP) sandbox

# Grading runs student code in a bubblewrap sandbox; installed when missing (see the README).
sandbox:
	@command -v bwrap >/dev/null || tools/install-bubblewrap.sh

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# Pinned first and on their own: a looser range would download gigabytes of CUDA wheels.
	$(BIN)/python -m pip install --quiet torch==2.14.1 torchvision==0.29.1
	$(BIN)/python -m pip install --quiet -e '.[course,dev]'
	@touch $(STAMP)

data: $(STAMP)
	$(BIN)/gan-lab data $(if $(MNIST_SOURCE),--source $(MNIST_SOURCE),)

doctor: $(STAMP)
	$(BIN)/gan-lab doctor

demo: data sandbox
	$(BIN)/gan-lab doctor
	$(BIN)/gan-lab course-demo --dir runs/course-demo
	# 10,000 updates of the handout's MLP GAN (five sevenths of its 30 epochs of 60,000 images),
	# about 100 s on 2 cores, then the samples' quality beside the real-vs-real floors.
	rm -rf runs/demo-mlp
	$(BIN)/gan-lab train mlp --epochs 1000 --max-steps 10000 --device cpu --logdir runs/demo-mlp
	$(BIN)/gan-lab evaluate runs/demo-mlp --device cpu
	@echo "Samples: runs/demo-mlp/samples.png. Open the logs with: $(BIN)/tensorboard --logdir runs"

test: setup
	$(BIN)/python -m pytest --durations=15

# The whole GPU verification (benchmarks/gpu_check.py); stops at once without a GPU.
gpu-check: $(STAMP)
	$(BIN)/python benchmarks/gpu_check.py --out runs/gpu-check $(if $(MNIST_SOURCE),--mnist-dir $(MNIST_SOURCE),)

student-build: $(STAMP)
	$(BIN)/gan-lab student-build --out dist/student

clean:
	rm -rf runs .pytest_cache
