/* The program of libhidden.so (hidden.c). */
void hidden_work(void);

int main(void)
{
    hidden_work();
    return 0;
}
