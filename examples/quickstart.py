"""The first example of lucid's AlphaDropout page, unchanged: values are random."""

from lucid import Tensor, nn

input_tensor = Tensor([[1.0, 2.0, 3.0, 4.0]], requires_grad=True)  # Shape: (1, 4)
alpha_dropout = nn.AlphaDropout(p=0.1)
output = alpha_dropout(input_tensor)
print(output)  # Tensor([[...]], grad=None)
output.backward()  # non-scalar output: the gradient is seeded with ones, as in lucid
print(input_tensor.grad)  # a numpy array: A where kept, 0 where dropped
