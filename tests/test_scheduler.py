from runner.scheduler import Slot, plan_slots


def test_cpu_only_machine_splits_the_cores():
    assert plan_slots(2, 1, gpus=0, cores=2, requested={"auto"}) == [Slot("cpu", ("auto", "cpu"), 1)] * 2
    assert plan_slots(1, 1, gpus=0, cores=8, requested={"cpu"}) == [Slot("cpu", ("auto", "cpu"), 8)]


def test_gpus_first_then_the_cpu():
    slots = plan_slots(4, 2, gpus=2, cores=16, requested={"auto"})
    assert [s.device for s in slots] == ["cuda:0", "cuda:0", "cuda:1", "cuda:1"]
    assert slots[0].accepts == ("auto", "cuda", "cuda:0")


def test_explicit_cpu_runs_get_a_slot_beside_the_gpus():
    slots = plan_slots(2, 1, gpus=2, cores=16, requested={"auto", "cpu"})
    assert [s.device for s in slots] == ["cuda:0", "cuda:1", "cpu"]
    assert slots[-1].accepts == ("cpu",)


def test_only_the_gpu_a_run_names():
    slots = plan_slots(4, 1, gpus=4, cores=16, requested={"cuda:2"})
    assert [s.device for s in slots] == ["cuda:2"]
