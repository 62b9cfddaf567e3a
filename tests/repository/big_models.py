"""BPMN text of long and wide models, built to size, for tests of bounded deploy-time work."""

from __future__ import annotations

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'id="defs" targetNamespace="http://example.com/tests">\n'
    '<bpmn:process id="{pid}" isExecutable="true">\n'
)
_TAIL = "</bpmn:process>\n</bpmn:definitions>\n"


class Flow:
    """Builds a process element by element; ``then`` connects to the previous element."""

    def __init__(self, pid: str) -> None:
        self.pid = pid
        self.parts = ['<bpmn:startEvent id="start"/>']
        self.last = "start"
        self.flows = 0

    def connect(self, source: str, target: str) -> None:
        self.flows += 1
        self.parts.append(
            f'<bpmn:sequenceFlow id="flow{self.flows}" sourceRef="{source}" targetRef="{target}"/>'
        )

    def add(self, xml: str, element_id: str, connect: bool = True) -> Flow:
        self.parts.append(xml)
        if connect:
            self.connect(self.last, element_id)
        self.last = element_id
        return self

    def script(self, element_id: str, script: str) -> Flow:
        return self.add(
            f'<bpmn:scriptTask id="{element_id}"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>',
            element_id,
        )

    def user(self, element_id: str) -> Flow:
        return self.add(f'<bpmn:userTask id="{element_id}"/>', element_id)

    def chain(self, n: int, prefix: str = "t") -> Flow:
        for i in range(n):
            self.script(f"{prefix}{i}", f"step = {i}")
        return self

    def wide(self, n: int, user_tasks: bool = False, name: str = "p") -> Flow:
        split, join = f"{name}_split", f"{name}_join"
        self.add(f'<bpmn:parallelGateway id="{split}"/>', split)
        for i in range(n):
            branch = f"{name}{i}"
            if user_tasks:
                self.parts.append(f'<bpmn:userTask id="{branch}"/>')
            else:
                self.parts.append(
                    f'<bpmn:scriptTask id="{branch}"><bpmn:script>b{i} = {i}</bpmn:script></bpmn:scriptTask>'
                )
            self.connect(split, branch)
        self.add(f'<bpmn:parallelGateway id="{join}"/>', join, connect=False)
        for i in range(n):
            self.connect(f"{name}{i}", join)
        return self

    def xml(self) -> str:
        self.add('<bpmn:endEvent id="end"/>', "end")
        return _HEAD.format(pid=self.pid) + "\n".join(self.parts) + "\n" + _TAIL

    def files(self) -> dict[str, str]:
        return {f"{self.pid}.bpmn": self.xml()}
